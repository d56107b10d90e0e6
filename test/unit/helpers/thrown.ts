import { expect } from "chai";

/** The message of the error `fn` throws, asserting it is a `type`. */
export function thrown(fn: () => unknown, type: new (...args: never[]) => Error = Error): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return (error as Error).message;
  }
  expect.fail("expected an error");
}
