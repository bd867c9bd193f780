import type { ProfileSpec } from '../profile-spec.js';
import { alibabaVms, amazonConnect, genesysCloud, tencentCcc, twilio } from './contact-centres.js';
import { huaweiCec, huaweiPrivateNumber, huaweiVoiceCall } from './huawei.js';
import { asterisk, asterisk16k, freeswitch, yeastar } from './pbx.js';

/**
 * Every profile promptprep ships, as data, in the order they are listed. To add one: a
 * ProfileSpec in the file of its kind, listed here; test/profiles.test.ts validates it
 * against the schema and the README table is regenerated from this list.
 */
export const SHIPPED_PROFILES: readonly ProfileSpec[] = [
  huaweiPrivateNumber,
  huaweiVoiceCall,
  huaweiCec,
  amazonConnect,
  genesysCloud,
  twilio,
  alibabaVms,
  tencentCcc,
  asterisk,
  asterisk16k,
  freeswitch,
  yeastar,
];
