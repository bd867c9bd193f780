import type { NameRule } from '../profile-spec.js';

/**
 * Name rules more than one profile uses. A platform that publishes no name rule still
 * stores a file: its name can hold anything a file name can, which is every character
 * but "/" and NUL (the file system's rule, not the vendor's).
 */
export const ANY_FILE_NAME: NameRule = {
  charset: '\\u{1}-\\u{2E}\\u{30}-\\u{10FFFF}',
  charsetText: 'any character but / (the platform sets no rule of its own)',
};

/** Huawei's "文件名称只能由数字、字母和特殊字符-_.@组成", in binding parameters of String(1-128). */
export const HUAWEI_FILE_NAME: NameRule = {
  charset: '0-9A-Za-z\\-_.@',
  charsetText: 'digits, ASCII letters and - _ . @',
  maxLength: 128,
  lengthWithExtension: true,
};
