/** Where prompts go. The ids name a platform in the ledger, the config and on the command line. */
export const CONSOLE_PLATFORM = 'huawei-console';
export const CEC_PLATFORM = 'huawei-cec';
