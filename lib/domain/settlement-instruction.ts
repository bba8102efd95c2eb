/**
 * Settlement instructions: what we tell the custodian to receive or deliver for a booked trade.
 *
 * The fields follow ISO 20022 sese.023 (SecuritiesSettlementTransactionInstruction) and map one-to-one onto the
 * SWIFT ISO 15022 family MT540–MT543, which most custodians still accept. The module is pure: the booked trade
 * and its standing settlement instructions (SSI) come in as data, an instruction (or an exception) comes out.
 */
import { createHash } from 'node:crypto';
import { Dec, MINOR_UNITS, Rounding, roundToCurrency } from './money';

/** sese.023 SecuritiesMovementType: RECE receives securities (a buy), DELI delivers them (a sell). */
export const SecuritiesMovement = { RECEIVE: 'RECE', DELIVER: 'DELI' } as const;
export type SecuritiesMovement = (typeof SecuritiesMovement)[keyof typeof SecuritiesMovement];

/** sese.023 Payment: APMT settles against payment (DVP/RVP), FREE moves securities free of payment (FoP). */
export const PaymentType = { AGAINST_PAYMENT: 'APMT', FREE: 'FREE' } as const;
export type PaymentType = (typeof PaymentType)[keyof typeof PaymentType];

/** Direction of the settlement amount from the account's point of view: DBIT we pay, CRDT we are paid. */
export const CreditDebit = { DEBIT: 'DBIT', CREDIT: 'CRDT' } as const;
export type CreditDebit = (typeof CreditDebit)[keyof typeof CreditDebit];

/** The ISO 15022 settlement instruction messages. */
export const SwiftMessageType = {
  RECEIVE_FREE: 'MT540',
  RECEIVE_AGAINST_PAYMENT: 'MT541',
  DELIVER_FREE: 'MT542',
  DELIVER_AGAINST_PAYMENT: 'MT543',
} as const;
export type SwiftMessageType = (typeof SwiftMessageType)[keyof typeof SwiftMessageType];

/** The MT54x message for a movement and payment type (MT540 RECE/FREE … MT543 DELI/APMT). */
export function swiftMessageTypeFor(movement: SecuritiesMovement, payment: PaymentType): SwiftMessageType {
  if (movement === SecuritiesMovement.RECEIVE) {
    return payment === PaymentType.FREE ? SwiftMessageType.RECEIVE_FREE : SwiftMessageType.RECEIVE_AGAINST_PAYMENT;
  }
  return payment === PaymentType.FREE ? SwiftMessageType.DELIVER_FREE : SwiftMessageType.DELIVER_AGAINST_PAYMENT;
}

/** A booked trade, reduced to what settlement needs. Amounts are in `currency`; `version` grows with each amend. */
export interface BookedTradeForSettlement {
  readonly tradeId: string;
  readonly version: number;
  readonly account: string;
  readonly counterpartyLei: string;
  readonly isin: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
  readonly fees: Dec;
  readonly currency: string;
  readonly tradeDate: string;
  readonly settlementDate: string;
  /** Free-of-payment transfers are the exception; a trade settles against payment unless told otherwise. */
  readonly payment?: PaymentType;
}

/** Standing settlement instructions for an account and counterparty in one market. */
export interface StandingSettlementInstructions {
  /** BIC of the central securities depository where settlement takes place, e.g. DTCYUS33. */
  readonly placeOfSettlement: string;
  /** Our safekeeping account at our agent. */
  readonly safekeepingAccount: string;
  /** BIC of our settlement agent (custodian). */
  readonly ownAgentBic: string;
  /** BIC of the counterparty's settlement agent. */
  readonly counterpartyAgentBic: string;
  /** The counterparty's safekeeping account at its agent, when its SSI publishes one. */
  readonly counterpartySafekeepingAccount?: string;
}

/** One side of the settlement chain (sese.023 DeliveringSettlementParties / ReceivingSettlementParties). */
export interface SettlementParty {
  readonly agentBic: string;
  readonly safekeepingAccount?: string;
  /** LEI of the party behind the agent: our account has none here, the counterparty is known by its LEI. */
  readonly lei?: string;
}

/** Why an instruction could not be sent to the custodian. */
export const InstructionExceptionReason = {
  SSI_MISSING: 'SSI_MISSING',
  SSI_INCOMPLETE: 'SSI_INCOMPLETE',
  UNKNOWN_CURRENCY: 'UNKNOWN_CURRENCY',
  INVALID_QUANTITY: 'INVALID_QUANTITY',
  SETTLEMENT_BEFORE_TRADE_DATE: 'SETTLEMENT_BEFORE_TRADE_DATE',
} as const;
export type InstructionExceptionReason = (typeof InstructionExceptionReason)[keyof typeof InstructionExceptionReason];

export interface InstructionException {
  readonly reason: InstructionExceptionReason;
  readonly detail: string;
}

/** Terms every instruction carries, whether it can be sent or is held as an exception. */
interface InstructionTerms {
  /** Deterministic from trade id and version (see {@link settlementInstructionId}). */
  readonly instructionId: string;
  /** The trade id (sese.023 TradeDetails/TradeIdentification, MT54x :20C::TRRF). */
  readonly tradeReference: string;
  readonly tradeVersion: number;
  readonly account: string;
  readonly counterpartyLei: string;
  readonly isin: string;
  readonly quantity: Dec;
  readonly movement: SecuritiesMovement;
  readonly payment: PaymentType;
  readonly messageType: SwiftMessageType;
  readonly currency: string;
  readonly tradeDate: string;
  readonly settlementDate: string;
  /** The instruction this one replaces after an amend (sese.023 Linkages, MT54x :20C::PREV). */
  readonly replacesInstructionId?: string;
}

/** An instruction ready to go to the custodian. */
export interface InstructedSettlementInstruction extends InstructionTerms {
  readonly state: 'INSTRUCTED';
  /**
   * Absolute settlement amount, present for APMT only (a FREE instruction moves no cash).
   * quantity × price, plus commission and fees for a buy, minus them for a sell, rounded once at the end.
   */
  readonly settlementAmount?: Dec;
  readonly creditDebit?: CreditDebit;
  readonly placeOfSettlement: string;
  readonly deliveringParty: SettlementParty;
  readonly receivingParty: SettlementParty;
}

/** An instruction that could not be completed; it is kept, with its reasons, for operations to repair. */
export interface ExceptionSettlementInstruction extends InstructionTerms {
  readonly state: 'EXCEPTION';
  readonly settlementAmount?: Dec;
  readonly creditDebit?: CreditDebit;
  readonly exceptions: readonly InstructionException[];
}

export type SettlementInstruction = InstructedSettlementInstruction | ExceptionSettlementInstruction;

/** A request to cancel an instruction (sese.020; MT54x with :23G:CANC). */
export interface InstructionCancellation {
  readonly cancellationId: string;
  readonly cancelsInstructionId: string;
  readonly tradeReference: string;
  readonly messageType: SwiftMessageType;
  readonly function: 'CANC';
  /**
   * False when the instruction never left the platform (it was an EXCEPTION): the cancellation then only
   * closes it internally and no message goes to the custodian.
   */
  readonly sendToCustodian: boolean;
}

export interface BuildInstructionOptions {
  /** Rounding of the settlement amount; half-even (the platform default) unless the market says otherwise. */
  readonly rounding?: Rounding;
}

/** MT54x :20C::SEME is 16x; a hash keeps the id inside it whatever the length of the trade id. */
const INSTRUCTION_ID_LENGTH = 16;

function shortHash(prefix: string, text: string): string {
  const digest = createHash('sha256').update(text).digest('hex').toUpperCase();
  return prefix + digest.slice(0, INSTRUCTION_ID_LENGTH - prefix.length);
}

/**
 * The instruction id of a trade version: a pure function of trade id and version, so a redelivered trade
 * produces the same id and the downstream write (keyed on it) is a no-op. 16 characters to fit MT54x SEME.
 */
export function settlementInstructionId(tradeId: string, version: number): string {
  return shortHash('SI', `${tradeId}\u0000${version}`);
}

/**
 * Signed cash of a trade from the account's point of view, unrounded: a buy pays quantity × price plus
 * commission and fees; a sell receives quantity × price minus commission and fees.
 */
export function tradeCashFlow(trade: BookedTradeForSettlement): Dec {
  const principal = trade.quantity.times(trade.price);
  const charges = trade.commission.plus(trade.fees);
  return trade.side === 'BUY' ? principal.plus(charges).negated() : principal.minus(charges);
}

/**
 * Settlement amount and its direction. Rounded ONCE, on the total, to the currency's ISO 4217 minor units:
 * rounding principal and charges separately could differ from the total by a minor unit, which the custodian
 * would report as a DMON (amount) mismatch. Half-even by default.
 */
export function settlementAmountOf(
  trade: BookedTradeForSettlement,
  rounding: Rounding = Rounding.HALF_EVEN,
): { amount: Dec; creditDebit: CreditDebit } {
  const cash = roundToCurrency(tradeCashFlow(trade), trade.currency, rounding);
  return { amount: cash.abs(), creditDebit: cash.isNegative() ? CreditDebit.DEBIT : CreditDebit.CREDIT };
}

function ssiProblems(ssi: StandingSettlementInstructions | undefined): InstructionException[] {
  if (ssi === undefined) {
    return [{ reason: InstructionExceptionReason.SSI_MISSING, detail: 'no standing settlement instructions found' }];
  }
  const required: (keyof StandingSettlementInstructions)[] = [
    'placeOfSettlement',
    'safekeepingAccount',
    'ownAgentBic',
    'counterpartyAgentBic',
  ];
  return required
    .filter((field) => (ssi[field] ?? '').trim() === '')
    .map((field) => ({ reason: InstructionExceptionReason.SSI_INCOMPLETE, detail: `SSI field ${field} is empty` }));
}

function tradeProblems(trade: BookedTradeForSettlement): InstructionException[] {
  const problems: InstructionException[] = [];
  if (MINOR_UNITS[trade.currency] === undefined) {
    problems.push({
      reason: InstructionExceptionReason.UNKNOWN_CURRENCY,
      detail: `no ISO 4217 minor units for ${trade.currency}`,
    });
  }
  if (trade.quantity.lte(0)) {
    problems.push({ reason: InstructionExceptionReason.INVALID_QUANTITY, detail: 'quantity must be positive' });
  }
  // ISO dates compare correctly as strings.
  if (trade.settlementDate < trade.tradeDate) {
    problems.push({
      reason: InstructionExceptionReason.SETTLEMENT_BEFORE_TRADE_DATE,
      detail: `settlement date ${trade.settlementDate} is before trade date ${trade.tradeDate}`,
    });
  }
  return problems;
}

/**
 * Builds the settlement instruction of a booked trade. A buy receives securities (RECE), a sell delivers them
 * (DELI); payment is APMT unless the trade says FREE. Missing or incomplete SSI (or a trade settlement cannot
 * process) gives an instruction in state EXCEPTION with every reason, never nothing: a trade must not silently
 * drop out of settlement.
 */
export function buildSettlementInstruction(
  trade: BookedTradeForSettlement,
  ssi: StandingSettlementInstructions | undefined,
  options: BuildInstructionOptions = {},
): SettlementInstruction {
  const movement = trade.side === 'BUY' ? SecuritiesMovement.RECEIVE : SecuritiesMovement.DELIVER;
  const payment = trade.payment ?? PaymentType.AGAINST_PAYMENT;
  const terms: InstructionTerms = {
    instructionId: settlementInstructionId(trade.tradeId, trade.version),
    tradeReference: trade.tradeId,
    tradeVersion: trade.version,
    account: trade.account,
    counterpartyLei: trade.counterpartyLei,
    isin: trade.isin,
    quantity: trade.quantity,
    movement,
    payment,
    messageType: swiftMessageTypeFor(movement, payment),
    currency: trade.currency,
    tradeDate: trade.tradeDate,
    settlementDate: trade.settlementDate,
  };

  const invalidTrade = tradeProblems(trade);
  const canPrice = payment === PaymentType.AGAINST_PAYMENT && MINOR_UNITS[trade.currency] !== undefined;
  const cash = canPrice ? settlementAmountOf(trade, options.rounding) : undefined;
  const cashTerms = cash ? { settlementAmount: cash.amount, creditDebit: cash.creditDebit } : {};

  const exceptions = [...invalidTrade, ...ssiProblems(ssi)];
  if (exceptions.length > 0 || ssi === undefined) {
    return { ...terms, ...cashTerms, state: 'EXCEPTION', exceptions };
  }

  const ours: SettlementParty = { agentBic: ssi.ownAgentBic, safekeepingAccount: ssi.safekeepingAccount };
  const theirs: SettlementParty = {
    agentBic: ssi.counterpartyAgentBic,
    lei: trade.counterpartyLei,
    ...(ssi.counterpartySafekeepingAccount === undefined
      ? {}
      : { safekeepingAccount: ssi.counterpartySafekeepingAccount }),
  };
  return {
    ...terms,
    ...cashTerms,
    state: 'INSTRUCTED',
    placeOfSettlement: ssi.placeOfSettlement,
    deliveringParty: movement === SecuritiesMovement.RECEIVE ? theirs : ours,
    receivingParty: movement === SecuritiesMovement.RECEIVE ? ours : theirs,
  };
}

/**
 * Cancellation of an instruction (sese.020 / MT54x CANC). Its id is derived from the instruction id, so a
 * repeated cancel yields the same request.
 */
export function cancelSettlementInstruction(instruction: SettlementInstruction): InstructionCancellation {
  return {
    cancellationId: shortHash('SC', instruction.instructionId),
    cancelsInstructionId: instruction.instructionId,
    tradeReference: instruction.tradeReference,
    messageType: instruction.messageType,
    function: 'CANC',
    sendToCustodian: instruction.state === 'INSTRUCTED',
  };
}

export interface InstructionReplacement {
  readonly cancellation: InstructionCancellation;
  readonly replacement: SettlementInstruction;
}

export type ReplaceInstructionResult =
  | { readonly ok: true; readonly value: InstructionReplacement }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * An amend of a trade replaces its instruction. Matching fields of an MT54x / sese.023 cannot be modified in
 * place, so market practice is cancel-and-replace: a cancellation of the previous instruction and a new
 * instruction for the new trade version that links the previous one. An amended trade that is not a newer
 * version of the same trade is refused (a late or duplicate amend must not replace a newer instruction).
 */
export function replaceSettlementInstruction(
  previous: SettlementInstruction,
  amendedTrade: BookedTradeForSettlement,
  ssi: StandingSettlementInstructions | undefined,
  options: BuildInstructionOptions = {},
): ReplaceInstructionResult {
  const errors: string[] = [];
  if (amendedTrade.tradeId !== previous.tradeReference) {
    errors.push(`amend of trade ${amendedTrade.tradeId} cannot replace the instruction of ${previous.tradeReference}`);
  }
  if (amendedTrade.version <= previous.tradeVersion) {
    errors.push(`trade version ${amendedTrade.version} is not newer than instructed version ${previous.tradeVersion}`);
  }
  if (errors.length > 0) return { ok: false, errors };

  const replacement = {
    ...buildSettlementInstruction(amendedTrade, ssi, options),
    replacesInstructionId: previous.instructionId,
  };
  return { ok: true, value: { cancellation: cancelSettlementInstruction(previous), replacement } };
}
