// The soak's traffic, run inside the load generator: the mixed scenario's reads and writes (with
// its stale-read check) for several workspaces at once, a workspace drawn for each request, and
// every answer checked for another workspace's data. Each workspace's ids are known in full and
// each writes titles with its own prefix, so an answer is clean when every global id in it is one
// of its own workspace's and no other workspace's title prefix appears in it.
import type { LoadRequest } from './load-plan.js';
import { createMixedTraffic, type InFlight, type MixedPlan, type MixedResult } from './mixed-traffic.js';

export interface SoakWorkspacePlan {
  name: string;
  /** Its traffic; `titlePrefix` must be set and distinct from every other workspace's. */
  mixed: MixedPlan & { titlePrefix: string };
  /** Every global id of the workspace's rows (contacts, deleted ones too, companies, tags, notes) and its own. */
  ownIds: string[];
}

export interface SoakPlan {
  workspaces: SoakWorkspacePlan[];
}

export interface SoakWorkspaceResult {
  name: string;
  traffic: MixedResult;
  /** Answers to this workspace's tokens that carried data of another (or of no known) workspace. */
  crossWorkspaceAnswers: number;
  /** The first few findings, for the report. */
  examples: string[];
  /** The first few failed answers (status and the start of the body), for the report. */
  failures: string[];
  /** The first few stale reads: what had to be shown, what was, and which cache tier answered. */
  stale: string[];
}

export interface SoakResult {
  workspaces: SoakWorkspaceResult[];
}

/** Per connection: the workspace of the request in flight, besides what the mixed traffic keeps. */
interface Connection extends InFlight {
  workspace?: number;
}

// Global ids are base64url; cardfile writes JSON without spaces.
const ID_FIELD = /"id":"([A-Za-z0-9_=-]*)"/g;
const MAX_EXAMPLES = 5;

function headerOf(headers: Record<string, unknown>, name: string): string {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? 'none' : String(headers[key]);
}

export function createSoakTraffic(plan: SoakPlan) {
  const owner = new Map<string, string>();
  for (const workspace of plan.workspaces) for (const id of workspace.ownIds) owner.set(id, workspace.name);
  const lanes = plan.workspaces.map((workspace, index) => ({
    name: workspace.name,
    traffic: createMixedTraffic(workspace.mixed),
    foreignPrefixes: plan.workspaces.filter((_, other) => other !== index).map((other) => other.mixed.titlePrefix),
  }));
  const result: SoakResult = {
    workspaces: lanes.map((lane) => ({ name: lane.name, traffic: lane.traffic.result, crossWorkspaceAnswers: 0, examples: [], failures: [], stale: [] })),
  };

  /** What in `body` is not `lane`'s own, or undefined when nothing. */
  function foreignData(index: number, body: string): string | undefined {
    const name = lanes[index]!.name;
    for (const match of body.matchAll(ID_FIELD)) {
      const id = match[1]!;
      const of = owner.get(id);
      if (of !== name) return `id ${id} (${Buffer.from(id, 'base64url').toString('utf8')}) of ${of ?? 'no soak workspace'}`;
    }
    for (const prefix of lanes[index]!.foreignPrefixes) if (body.includes(prefix)) return `a title written for another workspace ("${prefix} ...")`;
    return undefined;
  }

  function next(connection: Connection): LoadRequest {
    const index = Math.floor(Math.random() * lanes.length);
    connection.workspace = index;
    return lanes[index]!.traffic.next(connection);
  }

  /** Checks one answer; true when it was a CONFLICT (expected, not a failure). */
  function settle(connection: Connection, status: number, body: string, headers: Record<string, unknown> = {}): boolean {
    const index = connection.workspace!;
    const figures = result.workspaces[index]!;
    const finding = foreignData(index, body);
    if (finding) {
      figures.crossWorkspaceAnswers++;
      if (figures.examples.length < MAX_EXAMPLES) figures.examples.push(finding);
    }
    const failedBefore = figures.traffic.failedReads + figures.traffic.failedWrites;
    const staleBefore = figures.traffic.staleReads;
    const mustShow = connection.mustShow;
    const conflict = lanes[index]!.traffic.settle(connection, status, body);
    if (figures.traffic.failedReads + figures.traffic.failedWrites > failedBefore && figures.failures.length < MAX_EXAMPLES) {
      figures.failures.push(`${connection.kind} ${status}: ${body.slice(0, 300)}`);
    }
    if (figures.traffic.staleReads > staleBefore && figures.stale.length < MAX_EXAMPLES) {
      const version = /"version":(\d+)/.exec(body)?.[1];
      const title = /"title":("[^"]*"|null)/.exec(body)?.[1];
      figures.stale.push(
        `${plan.workspaces[index]!.mixed.contacts[connection.contact!]!.id} had to show version ${mustShow?.version} ("${mustShow?.title}"), ` +
          `showed version ${version} (${title}), x-cache ${headerOf(headers, 'x-cache')}`,
      );
    }
    return conflict;
  }

  function reset() {
    for (const [index, lane] of lanes.entries()) {
      lane.traffic.reset();
      result.workspaces[index]!.crossWorkspaceAnswers = 0;
      result.workspaces[index]!.examples = [];
      result.workspaces[index]!.failures = [];
      result.workspaces[index]!.stale = [];
    }
  }

  return { next, settle, reset, result };
}
