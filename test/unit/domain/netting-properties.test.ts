/**
 * Property tests of netting (lib/domain/netting.ts) on gross instructions built, as settlement builds them, from
 * trades of a few seed accounts, counterparties and instruments over a few settlement dates, so that groups form:
 * every net obligation is the sum of its gross instructions, each gross instruction is netted exactly once, and
 * the result (and the NET message published for it) does not depend on input order.
 *
 * A failure prints fast-check's seed and path; test/helpers/property.ts says how to replay it.
 */
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { Dec, MINOR_UNITS } from '../../../lib/domain/money';
import {
  netObligations,
  signedCash,
  signedQuantity,
  type NettingKey,
  type NettingResult,
} from '../../../lib/domain/netting';
import { selectSsi } from '../../../lib/domain/refdata';
import {
  CreditDebit,
  PaymentType,
  SecuritiesMovement,
  buildSettlementInstruction,
  swiftMessageTypeFor,
  type InstructedSettlementInstruction,
} from '../../../lib/domain/settlement-instruction';
import { NetInstructionMessageV1Schema } from '../../../lib/kafka/schemas/settlement-instruction';
import { netMessage } from '../../../lib/settlement/messages';
import { formatUnits } from '../../helpers/arbitraries';
import { previousClose, seedReferenceData } from '../../helpers/seed-reference-data';
import { propertyRuns } from '../../helpers/property';

/** Runs of each property; their sum is this file's share of the suite's generated cases. */
const RUNS = { sums: 600, shapes: 300, order: 300 };

const data = seedReferenceData();

/** Accounts, counterparties and instruments that have an active SSI together, with their closes. */
const parties = data.instruments
  .filter((instrument) => instrument.active)
  .flatMap((instrument) =>
    data.accounts.flatMap((account) =>
      data.counterparties.flatMap((counterparty) => {
        const ssi = selectSsi(data.ssis, {
          account: account.id,
          counterpartyLei: counterparty.lei,
          market: instrument.settlementMarket,
          currency: instrument.currency,
        });
        const close = previousClose(data, instrument.isin, data.lastCloseDate);
        return ssi?.active && close ? [{ instrument, account, counterparty, ssi, close: close.price }] : [];
      }),
    ),
  );

/** 1-60 gross instructions over 1-3 (account, counterparty, instrument) triples and 1-3 settlement dates. */
const grossInstructions: fc.Arbitrary<InstructedSettlementInstruction[]> = fc
  .record({
    triples: fc.uniqueArray(fc.constantFrom(...parties), { minLength: 1, maxLength: 3 }),
    dates: fc.uniqueArray(fc.constantFrom('2024-06-03', '2024-06-04', '2024-06-05', '2024-06-06'), {
      minLength: 1,
      maxLength: 3,
    }),
    trades: fc.array(
      fc.record({
        triple: fc.nat(),
        date: fc.nat(),
        side: fc.constantFrom('BUY' as const, 'SELL' as const),
        // Few distinct quantities and prices, so that groups often net to zero securities or zero cash.
        lots: fc.oneof(fc.constantFrom(100, 200, 300), fc.integer({ min: 1, max: 10_000 })),
        bps: fc.oneof(fc.constant(0), fc.integer({ min: -300, max: 300 })),
        commissionUnits: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10_000n })),
        feeUnits: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1_000n })),
        // One in five settles free of payment.
        free: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
        // Now and then the trade is unwound by an opposite one: at the same price with no charges (the pair
        // offsets fully), at another price (securities offset, cash does not), or half of it at twice the price
        // (cash offsets, securities do not: an APMT group that settles FREE).
        unwound: fc.constantFrom('NO', 'NO', 'NO', 'SAME_PRICE', 'OTHER_PRICE', 'HALF_AT_TWICE'),
      }),
      { minLength: 1, maxLength: 60 },
    ),
  })
  .map(({ triples, dates, trades }) =>
    trades
      .flatMap((draw) =>
        draw.unwound === 'NO'
          ? [{ ...draw, priceTimes: 1 }]
          : draw.unwound === 'HALF_AT_TWICE'
            ? [
                { ...draw, lots: draw.lots * 2, commissionUnits: 0n, feeUnits: 0n, priceTimes: 1 },
                {
                  ...draw,
                  side: draw.side === 'BUY' ? ('SELL' as const) : ('BUY' as const),
                  commissionUnits: 0n,
                  feeUnits: 0n,
                  priceTimes: 2,
                },
              ]
            : [
                {
                  ...draw,
                  ...(draw.unwound === 'SAME_PRICE' ? { commissionUnits: 0n, feeUnits: 0n } : {}),
                  priceTimes: 1,
                },
                {
                  ...draw,
                  side: draw.side === 'BUY' ? ('SELL' as const) : ('BUY' as const),
                  ...(draw.unwound === 'SAME_PRICE' ? { commissionUnits: 0n, feeUnits: 0n } : { bps: draw.bps + 25 }),
                  priceTimes: 1,
                },
              ],
      )
      .map((draw, index) => {
        const triple = triples[draw.triple % triples.length];
        const settlementDate = dates[draw.date % dates.length];
        if (triple === undefined || settlementDate === undefined) throw new Error('empty draw');
        const { instrument, account, counterparty, ssi, close } = triple;
        const minor = MINOR_UNITS[instrument.currency] ?? 2;
        const instruction = buildSettlementInstruction(
          {
            tradeId: `TR-${String(index).padStart(5, '0')}`,
            version: 1,
            account: account.id,
            counterpartyLei: counterparty.lei,
            isin: instrument.isin,
            side: draw.side,
            quantity: instrument.lotSize.times(draw.lots),
            price: close
              .times(10_000 + draw.bps)
              .div(10_000)
              .toDecimalPlaces(instrument.priceDecimals)
              .times(draw.priceTimes),
            commission: new Dec(formatUnits(draw.commissionUnits, minor)),
            fees: new Dec(formatUnits(draw.feeUnits, minor)),
            currency: instrument.currency,
            tradeDate: '2024-06-03',
            settlementDate,
            ...(draw.free ? { payment: PaymentType.FREE } : {}),
          },
          ssi,
        );
        if (instruction.state !== 'INSTRUCTED') throw new Error(`not instructable: ${JSON.stringify(instruction)}`);
        return instruction;
      }),
  );

function keyOf(i: NettingKey): string {
  return [i.account, i.counterpartyLei, i.isin, i.currency, i.settlementDate, i.payment, i.placeOfSettlement].join('|');
}

function sum(values: readonly Dec[]): Dec {
  return values.reduce((total, value) => total.plus(value), new Dec(0));
}

/** Every group of the result with the gross instructions it names, checked to share its netting key. */
function groupsOf(result: NettingResult, gross: readonly InstructedSettlementInstruction[]) {
  const byId = new Map(gross.map((instruction) => [instruction.instructionId, instruction]));
  const membersOf = (ids: readonly string[]) =>
    ids.map((id) => {
      const member = byId.get(id);
      if (member === undefined) throw new Error(`${id} is not one of the gross instructions`);
      return member;
    });
  return [
    ...result.obligations.map((group) => ({ group, obligation: group, members: membersOf(group.grossInstructionIds) })),
    ...result.fullyOffset.map((group) => ({
      group,
      obligation: undefined,
      members: membersOf(group.grossInstructionIds),
    })),
  ];
}

describe('netting: net = sum of gross', () => {
  it('each obligation nets exactly its gross instructions, which share its key, and each gross is in one group', () => {
    fc.assert(
      fc.property(grossInstructions, (gross) => {
        const result = netObligations(gross);
        const groups = groupsOf(result, gross);
        const netted = groups.flatMap(({ group }) => group.grossInstructionIds);
        assert.deepEqual([...netted].sort(), gross.map((g) => g.instructionId).sort(), 'each gross netted once');
        for (const { group, obligation, members } of groups) {
          assert.deepEqual([...new Set(members.map(keyOf))], [keyOf(group)], 'members share the key');
          assert.deepEqual(group.grossInstructionIds, [...group.grossInstructionIds].sort(), 'ids sorted');
          const quantity = sum(members.map(signedQuantity));
          const cash = sum(members.map(signedCash));
          if (obligation !== undefined) {
            assert.equal(obligation.netQuantity.toFixed(), quantity.toFixed(), 'net quantity = sum of gross');
            assert.equal(obligation.netCash.toFixed(), cash.toFixed(), 'net cash = sum of gross');
          } else {
            assert.ok(quantity.isZero() && cash.isZero(), 'a fully offset group nets to nothing');
          }
        }
        // And so in total: what all obligations move is what all gross instructions move.
        assert.equal(
          sum(result.obligations.map((o) => o.netQuantity)).toFixed(),
          sum(gross.map(signedQuantity)).toFixed(),
        );
        assert.equal(sum(result.obligations.map((o) => o.netCash)).toFixed(), sum(gross.map(signedCash)).toFixed());
        // Groups are keyed apart: no two groups share a key.
        assert.equal(new Set(groups.map(({ group }) => keyOf(group))).size, groups.length);
      }),
      propertyRuns(RUNS.sums),
    );
  });

  it('each obligation says what it nets: movement and amount by the sign, FREE when cash nets to zero, the MT54x that fits', () => {
    fc.assert(
      fc.property(grossInstructions, (gross) => {
        for (const obligation of netObligations(gross).obligations) {
          if (obligation.payment === PaymentType.FREE) assert.ok(obligation.netCash.isZero(), 'FREE moves no cash');
          if (obligation.netCash.isZero()) {
            assert.equal(obligation.settlementAmount, undefined);
          } else {
            assert.equal(obligation.settlementAmount?.toFixed(), obligation.netCash.abs().toFixed());
            assert.equal(
              obligation.creditDebit,
              obligation.netCash.isNegative() ? CreditDebit.DEBIT : CreditDebit.CREDIT,
            );
          }
          if (obligation.kind === 'CASH_ONLY') {
            assert.ok(obligation.netQuantity.isZero() && !obligation.netCash.isZero());
          } else {
            assert.ok(!obligation.netQuantity.isZero());
            assert.equal(obligation.quantity.toFixed(), obligation.netQuantity.abs().toFixed());
            assert.equal(
              obligation.movement,
              obligation.netQuantity.isPositive() ? SecuritiesMovement.RECEIVE : SecuritiesMovement.DELIVER,
            );
            assert.equal(
              obligation.settlementPayment,
              obligation.netCash.isZero() ? PaymentType.FREE : PaymentType.AGAINST_PAYMENT,
            );
            assert.equal(
              obligation.messageType,
              swiftMessageTypeFor(obligation.movement, obligation.settlementPayment),
            );
          }
          // What settlement publishes for it decodes, and carries the same net figures.
          const message = NetInstructionMessageV1Schema.parse(
            JSON.parse(JSON.stringify(netMessage(obligation, { delivering: null, receiving: null }).payload)),
          );
          assert.equal(message.quantity, obligation.kind === 'SECURITIES' ? obligation.quantity.toFixed() : '0');
          assert.equal(message.settlementAmount, obligation.settlementAmount?.toFixed());
          assert.deepEqual(message.grossInstructionIds, obligation.grossInstructionIds);
        }
      }),
      propertyRuns(RUNS.shapes),
    );
  });

  it('does not depend on the order the gross instructions come in', () => {
    const cases = grossInstructions.chain((gross) =>
      fc.record({ gross: fc.constant(gross), shuffled: fc.shuffledSubarray(gross, { minLength: gross.length }) }),
    );
    fc.assert(
      fc.property(cases, ({ gross, shuffled }) => {
        assert.equal(JSON.stringify(netObligations(shuffled)), JSON.stringify(netObligations(gross)));
      }),
      propertyRuns(RUNS.order),
    );
  });
});
