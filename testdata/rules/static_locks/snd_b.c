// The other file's statics of the same names, taken in the other order:
// no AB-BA with snd_a.c. Within this file, both orders are one.
static DEFINE_MUTEX(register_mutex);
static DEFINE_MUTEX(list_lock);
static int devices;

void snd_b_register(void)
{
	mutex_lock(&list_lock);
	mutex_lock(&register_mutex);
	devices++;
	mutex_unlock(&register_mutex);
	mutex_unlock(&list_lock);
}

void snd_b_unregister(void)
{
	mutex_lock(&register_mutex);
	mutex_lock(&list_lock); /* want LOCK_ORDER_INVERSION */
	devices--;
	mutex_unlock(&list_lock);
	mutex_unlock(&register_mutex);
}

void snd_b_create_client(void)
{
	mutex_lock(&register_mutex);
	devices++;
	mutex_unlock(&register_mutex);
}
