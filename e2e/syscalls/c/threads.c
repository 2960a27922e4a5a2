#include <pthread.h>
#include <stdio.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static long counter; static int turn;
static void *work(void *arg) { long id=(long)arg; for (int i=0;i<1000;i++){ pthread_mutex_lock(&m); counter++; pthread_mutex_unlock(&m);} return (void*)id; }
int main(void){ pthread_t t[32]; for(long i=0;i<32;i++) pthread_create(&t[i],0,work,(void*)i); long sum=0; for(int i=0;i<32;i++){void*r; pthread_join(t[i],&r); sum+=(long)r;} printf("counter=%ld sum=%ld\n",counter,sum); return 0; }
