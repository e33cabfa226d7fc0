// What the collect benches share: the reference's credit-default row and the pacing of the calls.
/** The reference's credit-default row (23 columns). */
export const ROW = {
  LIMIT_BAL: 502970,
  AGE: 54,
  BILL_AMT1: 308068,
  BILL_AMT2: 381402,
  BILL_AMT3: 442625,
  BILL_AMT4: 320399,
  BILL_AMT5: 322616,
  BILL_AMT6: 397534,
  PAY_AMT1: 17987,
  PAY_AMT2: 78764,
  PAY_AMT3: 26067,
  PAY_AMT4: 24102,
  PAY_AMT5: -1155,
  PAY_AMT6: 2154,
  SEX: 2,
  EDUCATION: 2,
  MARRIAGE: 2,
  PAY_0: 0,
  PAY_2: 0,
  PAY_3: 0,
  PAY_4: 0,
  PAY_5: 0,
  PAY_6: 0,
};
export const CHUNK = 1000; // calls between yields to the event loop, as a busy server would interleave requests
/** Yields to the event loop once. */
export const tick = () => new Promise((r) => setImmediate(r));
