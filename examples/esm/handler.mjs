// An ES-module handler (nodejs12, nodejs20, nodejs22). Module state lives as long as the replica.
//   kless run examples/esm --runtime nodejs12   then   curl localhost:8080/
let calls = 0

export async function main(event, context) {
  calls += 1
  return { calls, runtime: context.runtime, timeout: context.timeout }
}
