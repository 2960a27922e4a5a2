// The metav1.Status objects the exec/attach error stream carries
// (k8s.io/apimachinery meta/v1 types.go; reason and cause names from
// k8s.io/apimachinery/pkg/util/remotecommand). Field names and order follow
// what kubelet's JSON encoder writes.

export interface StatusCause { reason?: string; message?: string; field?: string }

export interface Status {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: StatusCause[] };
  code?: number;
}

export function successStatus(): Status {
  return { metadata: {}, status: 'Success' };
}

/** What client-go turns into exec.CodeExitError{Code: exitCode}. */
export function exitCodeStatus(exitCode: number): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** apierrors.NewInternalError: HTTP 500, reason InternalError. */
export function internalErrorStatus(message: string): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}
