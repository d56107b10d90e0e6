import { existsSync } from "node:fs";

import puppeteer, { type Browser } from "puppeteer-core";

/** Where a Chromium may be: BULWARK_CHROMIUM, then the usual Debian and Ubuntu paths. */
const CANDIDATES = [
  process.env.BULWARK_CHROMIUM,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/snap/bin/chromium",
];

/** The machine's Chromium; throws with how to install one when there is none. */
export function chromiumPath(): string {
  for (const candidate of CANDIDATES)
    if (candidate !== undefined && candidate !== "" && existsSync(candidate)) return candidate;
  throw new Error(
    "no Chromium found for the report's browser test: install Debian's (`apt-get install -y chromium`) or set " +
      "BULWARK_CHROMIUM to a Chromium or Chrome executable",
  );
}

/** A headless Chromium driven by puppeteer-core (no browser download; the machine's own). */
export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}
