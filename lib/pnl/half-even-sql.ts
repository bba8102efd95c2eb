/**
 * SQL rounding `amount` half-even (banker's) to `places` decimals, as round_half_even (migration 1732407000000) and
 * Dec's ROUND_HALF_EVEN do, given `half` = 0.5·10^-places and `scale` = 10^places worked out once per currency:
 * round() rounds half away from zero, so an exact half whose last kept digit is even is truncated instead. Written
 * out rather than called: the function's power() per call cost the quiet lines ~0.1 s a report.
 */
export function halfEvenSql(amount: string, places: string, half: string, scale: string): string {
  return `CASE WHEN abs(${amount} - trunc(${amount}, ${places})) = ${half}
    AND mod(trunc(${amount}, ${places}) * ${scale}, 2) = 0 THEN trunc(${amount}, ${places})
    ELSE round(${amount}, ${places}) END`;
}
