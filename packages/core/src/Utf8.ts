/**
 * UTF-8 sizes without encoding (core has no `TextEncoder` in its lib). Use it where a limit is stated in bytes
 * (a header's cap, a request's size). Gotcha: a lone surrogate counts as U+FFFD, 3 bytes, as encoders write it.
 */

/** The UTF-8 byte length of `text`. */
export const byteLength = (text: string): number => {
  let bytes = 0
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) {
      bytes += 4
      index++
    } else bytes += 3
  }
  return bytes
}

const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff
