// node-pg-migrate 8 publishes its types only through package.json "exports", which this project's
// `moduleResolution: node` does not read; point the bare specifier at the same declarations.
declare module 'node-pg-migrate' {
  export * from 'node-pg-migrate/dist/bundle/index';
}
