// A loopback port nothing listens on right now (the benchmark's probe): for a server of the test's
// own, or to point a client at a closed port.
export { freePort } from '../../bench/free-port.js';
