import type { Task } from '../kernel/task';
import type { SyscallArgs } from './args';

/**
 * What a handler returns when the result is not a plain value in rax.
 * - REGS_SET: the handler replaced the registers itself (execve, rt_sigreturn).
 * - TASK_EXITED: the task is gone; nothing is written back.
 */
export enum SyscallControl {
  REGS_SET = 'regs-set',
  TASK_EXITED = 'task-exited',
}

/** Result value (>= 0 or any 64-bit pattern as bigint) or a control action. Errors are thrown as LinuxError. */
export type SyscallResult = number | bigint | SyscallControl;

/** Every syscall handler has this one signature. */
export type SyscallHandler = (t: Task, a: SyscallArgs) => SyscallResult;

export type SupportLevel = 'full' | 'partial' | 'error';

export interface SyscallRow {
  readonly handler: SyscallHandler;
  readonly support: SupportLevel;
  /** What is not supported, or why it returns an error. */
  readonly note?: string;
}
