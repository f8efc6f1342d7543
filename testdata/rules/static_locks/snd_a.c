// Two files each with a static register_mutex and a static list_lock:
// four locks, not two. The orders of one file say nothing of the other's.
static DEFINE_MUTEX(register_mutex);
static DEFINE_MUTEX(list_lock);
static int devices;

void snd_a_register(void)
{
	mutex_lock(&register_mutex);
	mutex_lock(&list_lock);
	devices++;
	mutex_unlock(&list_lock);
	mutex_unlock(&register_mutex);
}

void snd_b_create_client(void);

/*
 * sound/core/seq/seq_midi.c holds its register_mutex while it calls
 * seq_clientmgr.c, which takes that file's register_mutex: another lock,
 * though "&register_mutex" names both.
 */
void snd_a_probe(void)
{
	mutex_lock(&register_mutex);
	snd_b_create_client();
	devices++;
	mutex_unlock(&register_mutex);
}
