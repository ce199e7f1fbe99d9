/**
 * Imported first by the benchmark. Node 20's V8 (11.3) aborts the process ("Fatal error … unreachable code"
 * in `Deoptimizer::DoComputeBuiltinContinuation`) when code that TurboFan inlined a JS→WebAssembly call into is
 * deoptimised; the Cedar bindings' glue triggers it after a few seconds of calls. Turning off that one inlining
 * avoids it. It only touches calls into WebAssembly, which the Agent OS decision path never makes.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-turbo-inline-js-wasm-calls');
