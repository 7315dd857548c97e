/**
 * The variables a Function's Deployment gives its runtime container (the controller sets MOD_NAME=handler and
 * FUNC_HANDLER=main for every Function), with the function folder that the image mounts at /kubeless pointed at
 * `functionDir` instead. Every local start of a host (tests, benchmarks) goes through this, so they all run a
 * function the way a cluster does.
 */
export function functionEnv(runtime: string, functionDir: string): Record<string, string> {
  return { KUBELESS_INSTALL_VOLUME: functionDir, MOD_NAME: 'handler', FUNC_HANDLER: 'main', FUNC_RUNTIME: runtime }
}
