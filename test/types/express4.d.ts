// Express 4 is installed under the alias `express4` to run the same tests on both majors; its API
// as used here matches Express 5's types.
declare module 'express4' {
  import express from 'express';
  export default express;
}
