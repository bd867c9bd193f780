import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The Huawei Cloud CEC voice-file API as documented (shared PLATFORM.md, "Huawei Cloud
 * CEC"): token by AK/SK, Base64 upload, review result by callback. Shared by the client,
 * the callback receiver and the emulator, so all three read the contract the same way.
 */

export const TOKEN_PATH = '/apigovernance/api/oauth/tokenByAkSk';
export const UPLOAD_PATH = '/apiaccess/rest/cc-management/v1/importVoiceFile/upload';

/** Seconds a token lives when the request asks for nothing else, and the most it may ask. */
export const DEFAULT_TOKEN_EXPIRE = 600;
export const MAX_TOKEN_EXPIRE = 3600;
/** "限制8MB": the Base64 text of the file. */
export const MAX_FILE_INFO_BYTES = 8 * 1024 * 1024;
/** "每秒请求10次之后会进行流量控制". */
export const REQUESTS_PER_SECOND = 10;
/** "超过6次后同一文件的上传审核结果不再继续响应": 6 tries in all. */
export const CALLBACK_TRIES = 6;

export const LOCALES = ['zh_CN', 'en_US', 'pt_BR', 'th_TH'] as const;
/** 0 IVR, 1 prompt tone, 2 fault tone, 3 voice notification. */
export const VOICE_TYPES = ['0', '1', '2', '3'] as const;

export const TokenRequestSchema = z.object({ app_key: z.string().min(1), app_secret: z.string().min(1) });
export const TokenResponseSchema = z.object({
  AccessToken: z.string().min(1),
  ApplyType: z.string(),
  Expires: z.union([z.string(), z.number()]),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

/** "只能包含中文、大小写字母,数字", at most 50 characters. */
export const VOICE_FILE_NAME_RE = /^[\p{Script=Han}A-Za-z0-9]{1,50}$/u;

export const UploadRequestSchema = z.object({
  fileInfo: z.string().min(1),
  locale: z.enum(LOCALES),
  voiceType: z.enum(VOICE_TYPES),
  fileType: z.enum(['wav', 'MP3']),
  callBackUrl: z.string().url().optional(),
  voiceFileName: z.string().regex(VOICE_FILE_NAME_RE).optional(),
});
export type UploadRequest = z.infer<typeof UploadRequestSchema>;

export const UploadResponseSchema = z.object({
  returnCode: z.string(),
  description: z.string().optional(),
  fileId: z.string().optional(),
});
export type UploadResponse = z.infer<typeof UploadResponseSchema>;

export const CallbackBodySchema = z.object({
  fileUrl: z.string().min(1),
  fileId: z.string().min(1).max(64),
  status: z.enum(['2', '3']),
  comment: z.string().max(2000).optional(),
});
export type CallbackBody = z.infer<typeof CallbackBodySchema>;

/**
 * Result codes. The platform's common codes come from its error reference (0300001-0300010);
 * the documentation names the upload flow-control limit but not its code, so the one
 * here is ours and the client treats any "flow control" answer alike.
 */
export const RC = {
  ok: '0',
  missing: '0300001',
  empty: '0300002',
  tooLong: '0300003',
  badFormat: '0300004',
  noBody: '0300007',
  uploadFlowControl: '0300011',
  unauthorized: '0300401',
} as const;

/**
 * A CEC voiceFileName for a prompt: its stem with everything but letters, digits and Chinese
 * removed, the version appended when over 1 (so each version has its own name), at most 50
 * characters. Deterministic, so the name can be recomputed and checked against the ledger.
 */
export function cecVoiceFileName(promptName: string, version: number): string {
  const stem = promptName.replace(/\.[^.]*$/, '');
  let base = stem.replace(/[^\p{Script=Han}A-Za-z0-9]/gu, '');
  if (base.length === 0) base = `prompt${createHash('sha256').update(stem).digest('hex').slice(0, 8)}`;
  const suffix = version > 1 ? `v${version}` : '';
  const chars = [...base];
  const room = 50 - suffix.length;
  return `${chars.slice(0, room).join('')}${suffix}`;
}
