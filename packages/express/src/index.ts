/**
 * `@twinspan/express` — Express middleware that tees requests to a candidate service.
 * Not built yet: `parallelRun()` arrives with issue #9. The package exists so the workspace
 * layout of DESIGN.md is complete.
 */
export {}
