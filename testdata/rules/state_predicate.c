// A predicate of no parameters that tests state no caller passes
// (net/ipv4/udp.c's udp_abort() takes the socket lock only when
// !has_current_bpf_ctx(), and releases it under the same test): the
// two calls give one answer, so the lock is not leaked on the other.
// Not a test of state: a body that calls a function, whose answer a
// call in between may change.
struct task_struct {
	void *bpf_ctx;
};
struct task_struct *get_current(void);
#define current get_current()

struct sock {
	int dead;
};

void lock_sock(struct sock *sk);
void release_sock(struct sock *sk);
void report(struct sock *sk);
unsigned long read_flags(void);

#ifdef CONFIG_BPF_SYSCALL
static inline bool has_current_bpf_ctx(void)
{
	return !!current->bpf_ctx;
}
#else
static inline bool has_current_bpf_ctx(void)
{
	return false;
}
#endif

static inline bool flags_say(void)
{
	return read_flags() & 1;
}

int udp_abort(struct sock *sk, int err)
{
	if (!has_current_bpf_ctx())
		lock_sock(sk);
	if (sk->dead)
		goto out;
	report(sk);
out:
	if (!has_current_bpf_ctx())
		release_sock(sk);
	return 0;
}

int abort_early(struct sock *sk)
{
	if (!has_current_bpf_ctx())
		lock_sock(sk);
	if (sk->dead)
		return -1; /* want LOCK_LEAK */
	if (!has_current_bpf_ctx())
		release_sock(sk);
	return 0;
}

int abort_flags(struct sock *sk)
{
	if (flags_say())
		lock_sock(sk);
	report(sk);
	if (flags_say())
		release_sock(sk);
	return 0; /* want LOCK_LEAK */
}
