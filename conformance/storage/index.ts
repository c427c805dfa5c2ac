/** The Storage conformance suite (`storageConformance`, `StorageHarness` and helpers); being split into one file per operation here. */
export * from '../../test/conformance/storage.ts';
