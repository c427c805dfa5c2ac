export * from '../../conformance/storage/index.ts';
