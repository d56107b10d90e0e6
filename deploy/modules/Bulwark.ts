/**
 * The whole Bulwark system on a live chain: every token and feed address is a parameter (`deploy/parameters/
 * mainnet.json`; the addresses and their sources are in `deploy/address-book/mainnet.json`). See
 * `deploy/lib/system.ts` for what is deployed, in which order, and how ownership reaches the timelock.
 *
 *   npx hardhat ignition deploy deploy/modules/Bulwark.ts --network mainnet --parameters deploy/parameters/mainnet.json
 *   npm run readback -- --network mainnet
 */
import { buildSystem, PARAMETER_ADDRESSES } from "../lib/system.js";

export default buildSystem(PARAMETER_ADDRESSES);
