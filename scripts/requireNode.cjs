// Every npm script that runs our TypeScript starts here. The CLIs are .ts files that Node runs directly (type
// stripping, Node >= 22.18); an older Node dies on them with a bare ERR_UNKNOWN_FILE_EXTENSION stack trace. This file
// is plain CommonJS that any Node can run: on an old one it says which version is needed and how to get it, and
// exits 1 so npm stops before the command. The version comes from package.json's `engines`, the suggestion from
// .nvmrc.
"use strict";
var fs = require("fs");
var path = require("path");

var root = path.join(__dirname, "..");
var engines = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).engines.node; // ">=22.18"
var required = engines.replace(/^>=\s*/, "").split(".").map(Number);
var actual = process.versions.node.split(".").map(Number);
var ok = actual[0] > required[0] || (actual[0] === required[0] && (actual[1] || 0) >= (required[1] || 0));
if (!ok) {
  var suggested = fs.readFileSync(path.join(root, ".nvmrc"), "utf8").trim();
  process.stderr.write(
    "bulwark: this is Node " + process.versions.node + "; Bulwark needs Node " + engines +
      " (its command-line tools run TypeScript directly). Get it with `nvm install` (reads .nvmrc: Node " + suggested +
      ") or `npm install -g --prefix /usr/local node@" + suggested + "` and put /usr/local/bin first on PATH, then" +
      " run `npm ci` again.\n",
  );
  process.exit(1);
}
