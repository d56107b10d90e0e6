// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";

/// @notice Settable price double behind IPriceOracle, for vault unit tests that need to set a price or a status
///         directly. The real adapter is contracts/oracles/OracleAdapter.sol. Test helper only.
contract MockPriceOracle is IPriceOracle {
    /// @notice Thrown when no price was ever set for `asset`.
    error NoPrice(address asset);

    mapping(address asset => Price) private _prices;
    mapping(address asset => bool) public isSet;
    Reason private _sequencer;
    uint256 private _readySince;
    mapping(address asset => uint256) private _ceiling;

    event PriceSet(address indexed asset, uint256 low, uint256 high, Status status, Reason reason);

    /// @notice Sets an OK price (zero allowed, to test the vault's zero-price guard).
    function setPrice(address asset, uint256 priceWad) external {
        setPriceData(asset, priceWad, priceWad, Status.OK, Reason.NONE);
    }

    /// @notice Sets any read: bounds, status and reason.
    function setPriceData(address asset, uint256 low, uint256 high, Status status, Reason reason) public {
        _prices[asset] = Price(low, high, status, reason);
        isSet[asset] = true;
        emit PriceSet(asset, low, high, status, reason);
    }

    /// @notice Sets what `sequencerState` reports (NONE since 0 by default: no sequencer); any other reason reports
    ///         `readySince` type(uint256).max, as the adapter does.
    function setSequencerReason(Reason reason) external {
        _sequencer = reason;
    }

    /// @notice Sets the `readySince` that `sequencerState` reports with NONE (the end of the last restart's grace).
    function setSequencerReadySince(uint256 readySince) external {
        _readySince = readySince;
    }

    /// @notice Sets what `priceCeiling` reports for `asset` (0 by default: no ceiling).
    function setPriceCeiling(address asset, uint256 ceiling) external {
        _ceiling[asset] = ceiling;
    }

    /// @inheritdoc IPriceOracle
    function priceCeiling(address asset) external view returns (uint256) {
        return _ceiling[asset];
    }

    /// @inheritdoc IPriceOracle
    function sequencerState() external view returns (Reason, uint256) {
        return (_sequencer, _sequencer == Reason.NONE ? _readySince : type(uint256).max);
    }

    /// @notice The OK price of `asset` (its `low`), for scripts that only deal in OK prices.
    function prices(address asset) external view returns (uint256) {
        return _prices[asset].low;
    }

    /// @inheritdoc IPriceOracle
    function getPrice(address asset) external view returns (Price memory) {
        if (!isSet[asset]) revert NoPrice(asset);
        return _prices[asset];
    }
}
