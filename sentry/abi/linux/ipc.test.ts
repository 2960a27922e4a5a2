import { nativeValues } from '../../testing/native';
import assert from 'node:assert/strict';
import { IPC, IPC_PERM_OFF, IPC_PERM_SIZE, MSG, MSGINFO_SIZE, MSQID_DS_OFF, MSQID_DS_SIZE, SEM, SEMBUF_SIZE, SEMID_DS_OFF, SEMID_DS_SIZE, SEMINFO_SIZE, SHM, SHM_INFO_OFF, SHM_INFO_SIZE, SHMID_DS_OFF, SHMID_DS_SIZE, SHMINFO_SIZE, SHMLBA } from './ipc';

const C = `#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/sem.h>
#include <sys/msg.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
#define O(s, f) P(#s "." #f, offsetof(struct s, f))
int main(void) {
  P("ipc_perm", sizeof(struct ipc_perm)); O(ipc_perm, __key); O(ipc_perm, uid); O(ipc_perm, gid); O(ipc_perm, cuid);
  O(ipc_perm, cgid); O(ipc_perm, mode); O(ipc_perm, __seq);
  P("shmid_ds", sizeof(struct shmid_ds)); O(shmid_ds, shm_segsz); O(shmid_ds, shm_atime); O(shmid_ds, shm_dtime);
  O(shmid_ds, shm_ctime); O(shmid_ds, shm_cpid); O(shmid_ds, shm_lpid); O(shmid_ds, shm_nattch);
  P("shminfo", sizeof(struct shminfo)); P("shm_info", sizeof(struct shm_info)); O(shm_info, used_ids);
  O(shm_info, shm_tot); O(shm_info, shm_rss); O(shm_info, shm_swp);
  P("IPC_CREAT", IPC_CREAT); P("IPC_EXCL", IPC_EXCL); P("IPC_NOWAIT", IPC_NOWAIT); P("IPC_RMID", IPC_RMID);
  P("IPC_SET", IPC_SET); P("IPC_STAT", IPC_STAT); P("IPC_INFO", IPC_INFO); P("SHM_RDONLY", SHM_RDONLY);
  P("SHM_RND", SHM_RND); P("SHM_REMAP", SHM_REMAP); P("SHM_EXEC", SHM_EXEC); P("SHM_LOCK", SHM_LOCK);
  P("SHM_UNLOCK", SHM_UNLOCK); P("SHM_STAT", SHM_STAT); P("SHM_INFO", SHM_INFO); P("SHM_STAT_ANY", SHM_STAT_ANY);
  P("SHM_DEST", SHM_DEST); P("SHM_LOCKED", SHM_LOCKED); P("SHMLBA", SHMLBA);
  P("SHM_HUGETLB", SHM_HUGETLB); P("SHM_NORESERVE", SHM_NORESERVE);
  P("sembuf", sizeof(struct sembuf)); P("semid_ds", sizeof(struct semid_ds)); O(semid_ds, sem_otime); O(semid_ds, sem_ctime);
  O(semid_ds, sem_nsems); P("seminfo", sizeof(struct seminfo));
  P("GETPID", GETPID); P("GETVAL", GETVAL); P("GETALL", GETALL); P("GETNCNT", GETNCNT); P("GETZCNT", GETZCNT);
  P("SETVAL", SETVAL); P("SETALL", SETALL); P("SEM_STAT", SEM_STAT); P("SEM_INFO", SEM_INFO); P("SEM_STAT_ANY", SEM_STAT_ANY);
  P("SEM_UNDO", SEM_UNDO);
  P("msqid_ds", sizeof(struct msqid_ds)); O(msqid_ds, msg_stime); O(msqid_ds, msg_rtime); O(msqid_ds, msg_ctime);
  O(msqid_ds, __msg_cbytes); O(msqid_ds, msg_qnum); O(msqid_ds, msg_qbytes); O(msqid_ds, msg_lspid); O(msqid_ds, msg_lrpid);
  P("msginfo", sizeof(struct msginfo)); P("MSG_NOERROR", MSG_NOERROR); P("MSG_EXCEPT", MSG_EXCEPT); P("MSG_COPY", MSG_COPY);
  P("MSG_STAT", MSG_STAT); P("MSG_INFO", MSG_INFO); P("MSG_STAT_ANY", MSG_STAT_ANY);
  return 0;
}`;

describe('System V shm, sem and msg ABI against the C library', function () {
  let native: Map<string, number>;
  before(() => (native = nativeValues(C)));

  it('struct layouts match', () => {
    const want: [string, number][] = [
      ['ipc_perm', IPC_PERM_SIZE], ['ipc_perm.__key', IPC_PERM_OFF.key], ['ipc_perm.uid', IPC_PERM_OFF.uid],
      ['ipc_perm.gid', IPC_PERM_OFF.gid], ['ipc_perm.cuid', IPC_PERM_OFF.cuid], ['ipc_perm.cgid', IPC_PERM_OFF.cgid],
      ['ipc_perm.mode', IPC_PERM_OFF.mode], ['ipc_perm.__seq', IPC_PERM_OFF.seq],
      ['shmid_ds', SHMID_DS_SIZE], ['shmid_ds.shm_segsz', SHMID_DS_OFF.segsz], ['shmid_ds.shm_atime', SHMID_DS_OFF.atime],
      ['shmid_ds.shm_dtime', SHMID_DS_OFF.dtime], ['shmid_ds.shm_ctime', SHMID_DS_OFF.ctime], ['shmid_ds.shm_cpid', SHMID_DS_OFF.cpid],
      ['shmid_ds.shm_lpid', SHMID_DS_OFF.lpid], ['shmid_ds.shm_nattch', SHMID_DS_OFF.nattch],
      ['shminfo', SHMINFO_SIZE], ['shm_info', SHM_INFO_SIZE], ['shm_info.used_ids', SHM_INFO_OFF.usedIds],
      ['shm_info.shm_tot', SHM_INFO_OFF.tot], ['shm_info.shm_rss', SHM_INFO_OFF.rss], ['shm_info.shm_swp', SHM_INFO_OFF.swp],
      ['sembuf', SEMBUF_SIZE], ['semid_ds', SEMID_DS_SIZE], ['semid_ds.sem_otime', SEMID_DS_OFF.otime], ['semid_ds.sem_ctime', SEMID_DS_OFF.ctime],
      ['semid_ds.sem_nsems', SEMID_DS_OFF.nsems], ['seminfo', SEMINFO_SIZE],
      ['msqid_ds', MSQID_DS_SIZE], ['msqid_ds.msg_stime', MSQID_DS_OFF.stime], ['msqid_ds.msg_rtime', MSQID_DS_OFF.rtime],
      ['msqid_ds.msg_ctime', MSQID_DS_OFF.ctime], ['msqid_ds.__msg_cbytes', MSQID_DS_OFF.cbytes], ['msqid_ds.msg_qnum', MSQID_DS_OFF.qnum],
      ['msqid_ds.msg_qbytes', MSQID_DS_OFF.qbytes], ['msqid_ds.msg_lspid', MSQID_DS_OFF.lspid], ['msqid_ds.msg_lrpid', MSQID_DS_OFF.lrpid],
      ['msginfo', MSGINFO_SIZE],
    ];
    for (const [name, ours] of want) assert.equal(ours, native.get(name), name);
  });

  it('flag and command values match', () => {
    const want: [string, number][] = [
      ['IPC_CREAT', IPC.CREAT], ['IPC_EXCL', IPC.EXCL], ['IPC_NOWAIT', IPC.NOWAIT], ['IPC_RMID', IPC.RMID], ['IPC_SET', IPC.SET],
      ['IPC_STAT', IPC.STAT], ['IPC_INFO', IPC.INFO], ['SHM_RDONLY', SHM.RDONLY], ['SHM_RND', SHM.RND], ['SHM_REMAP', SHM.REMAP],
      ['SHM_EXEC', SHM.EXEC], ['SHM_LOCK', SHM.LOCK], ['SHM_UNLOCK', SHM.UNLOCK], ['SHM_STAT', SHM.STAT], ['SHM_INFO', SHM.INFO],
      ['SHM_STAT_ANY', SHM.STAT_ANY], ['SHM_DEST', SHM.DEST], ['SHM_LOCKED', SHM.LOCKED], ['SHMLBA', SHMLBA],
      ['SHM_HUGETLB', SHM.HUGETLB], ['SHM_NORESERVE', SHM.NORESERVE],
      ['GETPID', SEM.GETPID], ['GETVAL', SEM.GETVAL], ['GETALL', SEM.GETALL], ['GETNCNT', SEM.GETNCNT], ['GETZCNT', SEM.GETZCNT],
      ['SETVAL', SEM.SETVAL], ['SETALL', SEM.SETALL], ['SEM_STAT', SEM.STAT], ['SEM_INFO', SEM.INFO], ['SEM_STAT_ANY', SEM.STAT_ANY],
      ['SEM_UNDO', SEM.UNDO],
      ['MSG_NOERROR', MSG.NOERROR], ['MSG_EXCEPT', MSG.EXCEPT], ['MSG_COPY', MSG.COPY], ['MSG_STAT', MSG.STAT], ['MSG_INFO', MSG.INFO],
      ['MSG_STAT_ANY', MSG.STAT_ANY],
    ];
    for (const [name, ours] of want) assert.equal(ours, native.get(name), name);
  });
});
