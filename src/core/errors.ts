/**
 * A rejected request, carried from the domain to the edges. Each edge maps it to Nacos' own
 * wire shape: v1 HTTP answers `status` with `message` as plain text, v2 wraps it in
 * `{code: v2Code, message, data}`, gRPC answers a typed failure or ErrorResponse with `errorCode`.
 */
export class NacosError extends Error {
  constructor(
    /** HTTP status for v1 and the gRPC errorCode (Nacos uses the same number: 400, 403, 404, 500...). */
    readonly status: number,
    message: string,
    /** The v2/v3 Result `code` (ErrorCode enum), e.g. 20002 parameter validate error. */
    readonly v2Code: number = defaultV2Code(status),
  ) {
    super(message);
    this.name = 'NacosError';
  }
}

function defaultV2Code(status: number): number {
  if (status === 400) return 20002;
  if (status === 403) return 10001;
  if (status === 404) return 20004;
  return 30000;
}

export const badRequest = (message: string, v2Code = 20002): NacosError => new NacosError(400, message, v2Code);
export const notFound = (message: string, v2Code = 20004): NacosError => new NacosError(404, message, v2Code);
export const serverError = (message: string): NacosError => new NacosError(500, message, 30000);
