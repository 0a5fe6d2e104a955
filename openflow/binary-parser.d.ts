// binary-parser ships types for its CommonJS build only; its ESM entry (what `import` loads
// here) has no .d.mts beside it. Point the ESM import at the same declarations.
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}
