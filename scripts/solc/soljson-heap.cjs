/**
 * The WebAssembly solc 0.8.28 (`solc/soljson.js`), with its compile entry point taking the input through the heap.
 *
 * Hardhat runs solc-js through `cwrap("solidity_compile", "string", ["string", ...])`, and Emscripten copies a string
 * argument onto the WebAssembly stack. Our largest compile job (the invariant suites with the whole system, forge-std
 * and OpenZeppelin) sends about 1.27 MB of standard JSON, more than that stack holds: solc then dies at once with
 * "RuntimeError: memory access out of bounds" or "Aborted()" (Hardhat's HHE908), whatever the job's real size.
 * Here the input is copied into memory from `solidity_alloc` instead, and freed after the call; everything else is
 * soljson unchanged. hardhat.config.ts points the 0.8.28 compiler here.
 */
"use strict";

const solc = require("solc/soljson.js");

const cwrap = solc.cwrap;
solc.cwrap = function heapCwrap(name, returnType, argTypes) {
  if (name !== "solidity_compile") return cwrap.call(this, name, returnType, argTypes);
  return (input, readCallback, context) => {
    const size = solc.lengthBytesUTF8(input) + 1;
    const pointer = solc._solidity_alloc(size);
    if (!pointer) throw new Error(`solc: cannot allocate ${size} bytes for the compiler input`);
    solc.stringToUTF8(input, pointer, size);
    try {
      return solc.UTF8ToString(solc._solidity_compile(pointer, readCallback ?? 0, context ?? 0));
    } finally {
      solc._solidity_free(pointer);
    }
  };
};

module.exports = solc;
