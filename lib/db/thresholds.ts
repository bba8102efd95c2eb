/** Keys of `validation_thresholds` the stores understand; a missing key takes the domain default. */
export const THRESHOLD_KEYS = {
  priceToleranceBps: 'price_tolerance_bps',
  washTradeWindowSeconds: 'wash_trade_window_seconds',
  /** 0 = tolerate a missing reference price, anything else = reject. */
  requireReferencePrice: 'require_reference_price',
} as const;
