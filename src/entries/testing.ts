// `express-privacy-log/testing`: the store contract, runnable under any test runner, and the
// records it writes, for authors of a store who want to prove it behaves as the built-in ones do.
export {
  CONTRACT_BASE_TIME,
  type ContractContext,
  type ContractExpect,
  type ContractIt,
  type ContractRecordOverrides,
  type ContractRunner,
  capabilitiesOf,
  contractId,
  contractRecord,
  contractRecords,
  daysAfter,
  eraseCounts,
  inStoreOrder,
  purgeCounts,
  readAll,
  type StoreCapabilities,
  type StoreContractOptions,
  storeContract,
  withRetries,
} from '../testing/store-contract.js';
