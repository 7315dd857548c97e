// An ES-module handler (handler.mjs) with a named export.
export function main(event, context) {
  return { esm: true, runtime: context.runtime, data: event.data }
}
