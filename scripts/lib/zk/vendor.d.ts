// Types for the two untyped npm packages the ZK tools use: only the calls scripts/lib/zk/ makes.

declare module "snarkjs" {
  export type Groth16Proof = {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  };
  export type Logger = {
    info(msg: string): void;
    debug(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  };
  /** A contribution from a public beacon (deterministic: test-only ceremonies). */
  type Beacon = (
    oldFile: string,
    newFile: string,
    name: string,
    beaconHashHex: string,
    numIterationsExp: number,
    logger?: Logger,
  ) => Promise<unknown>;
  export const groth16: {
    fullProve(
      input: Record<string, string | string[]>,
      wasmFile: string,
      zkeyFile: string,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    prove(
      zkeyFile: string,
      witnessFile: string | Uint8Array,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vkey: object, publicSignals: string[], proof: Groth16Proof): Promise<boolean>;
    setup(r1csFile: string, ptauFile: string, zkeyFile: string, logger?: Logger): Promise<unknown>;
  };
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, fileName: string, logger?: Logger): Promise<unknown>;
    beacon: Beacon;
    preparePhase2(oldFile: string, newFile: string, logger?: Logger): Promise<unknown>;
  };
  export const zKey: {
    newZKey(r1csFile: string, ptauFile: string, zkeyFile: string, logger?: Logger): Promise<unknown>;
    beacon: Beacon;
    exportVerificationKey(zkeyFile: string, logger?: Logger): Promise<object>;
    exportSolidityVerifier(zkeyFile: string, templates: { groth16: string }, logger?: Logger): Promise<string>;
  };
  export const wtns: {
    calculate(input: Record<string, string | string[]>, wasmFile: string, wtnsFile: string): Promise<void>;
    exportJson(wtnsFile: string): Promise<(bigint | string)[]>;
  };
  export const curves: {
    getCurveFromName(name: string): Promise<{ terminate(): Promise<void> }>;
  };
  export const r1cs: {
    info(
      r1csFile: string,
      logger?: Logger,
    ): Promise<{ nConstraints: number; nPubInputs: number; nPrvInputs: number; nOutputs: number }>;
  };
}

declare module "circomlibjs" {
  export type PoseidonField = { toObject(element: Uint8Array): bigint };
  export type Poseidon = ((inputs: bigint[]) => Uint8Array) & { F: PoseidonField };
  export function buildPoseidon(): Promise<Poseidon>;
}

declare module "@iden3/binfileutils" {
  export type Fd = {
    write(buff: Uint8Array): Promise<void>;
    readToBuffer(buff: Uint8Array, offset: number, length: number, pos?: number): Promise<void>;
    close(): Promise<void>;
  };
  export type Sections = unknown;
  export function readBinFile(file: string, type: string, maxVersion: number): Promise<{ fd: Fd; sections: Sections }>;
  export function createBinFile(file: string, type: string, version: number, nSections: number): Promise<Fd>;
  export function copySection(from: Fd, sections: Sections, to: Fd, id: number): Promise<void>;
  export function startWriteSection(fd: Fd, id: number): Promise<void>;
  export function endWriteSection(fd: Fd): Promise<void>;
  export function startReadUniqueSection(fd: Fd, sections: Sections, id: number): Promise<void>;
  export function endReadSection(fd: Fd, noCheck?: boolean): Promise<void>;
}
