// The codegen preset for the client SDK: graphql-codegen's client preset (typed documents), with
// each document carrying its persisted hash in `__meta__.hash`, plus persisted-documents.json.
// The client preset's own persisted-documents option is not used: it hashes a re-ordered,
// one-line rendering of each document that no client sends, and prefixes the hash with
// `sha256:`, which is not what `extensions.persistedQuery.sha256Hash` carries.
import { preset as clientPreset } from '@graphql-codegen/client-preset';
import { persistedDocumentsManifestPlugin } from './persisted-documents-manifest.js';
import { persistedHash, persistedText } from './persisted-text.js';

type Preset = typeof clientPreset;

export const persistedSdkPreset: Preset = {
  prepareDocuments: clientPreset.prepareDocuments,
  async buildGeneratesSection(options) {
    const sdk = await clientPreset.buildGeneratesSection({
      ...options,
      presetConfig: {
        ...options.presetConfig,
        persistedDocuments: false,
        // Called with each operation's document as the SDK emits it.
        onExecutableDocumentNode: (document) => ({ hash: persistedHash(persistedText(document)) }),
      },
    });
    const manifest = {
      filename: `${options.baseOutputDir}persisted-documents.json`,
      plugins: [{ 'persisted-documents-manifest': {} }],
      pluginMap: { 'persisted-documents-manifest': persistedDocumentsManifestPlugin },
      schema: options.schema,
      config: {},
      documents: options.documents,
      documentTransforms: options.documentTransforms,
    };
    return [...sdk, manifest];
  },
};
