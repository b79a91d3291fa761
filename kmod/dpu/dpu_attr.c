// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: validation of function attributes shared by netlink and the
 * io_uring command path. Pure logic, unit tested with KUnit on UML.
 */
#include <linux/errno.h>
#include <linux/etherdevice.h>
#include <linux/export.h>
#include <linux/string.h>

#include "dpu_fn_lib.h"

/**
 * dpu_tenant_name_check() - is @name a valid tenant name?
 * @name: NUL-terminated
 *
 * Tenant names are 1..%DPU_TENANT_LEN - 1 characters of [A-Za-z0-9_.-],
 * not starting with '.' or '-'.
 *
 * Return: NULL if valid, else a message saying what is wrong.
 */
const char *dpu_tenant_name_check(const char *name)
{
	size_t len = strnlen(name, DPU_TENANT_LEN);
	size_t i;

	if (!len)
		return "tenant name is empty";
	if (len >= DPU_TENANT_LEN)
		return "tenant name is too long";
	if (name[0] == '.' || name[0] == '-')
		return "tenant name must not start with '.' or '-'";
	for (i = 0; i < len; i++) {
		/* not isalnum(): the kernel's ctype takes Latin-1 letters */
		char c = name[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-')
			return "tenant name may only contain A-Z a-z 0-9 _ . -";
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(dpu_tenant_name_check);

/**
 * dpu_fn_size_check() - is @size a valid disk size?
 * @size: bytes
 *
 * Return: NULL if valid, else a message saying what is wrong.
 */
const char *dpu_fn_size_check(u64 size)
{
	if (!size)
		return "disk size is zero";
	if (size & (DPU_FN_SIZE_ALIGN - 1))
		return "disk size is not a multiple of 4096 bytes";
	if (size > DPU_FN_SIZE_MAX)
		return "disk size is larger than 64 TiB";
	return NULL;
}

/**
 * dpu_fn_mac_check() - is @mac usable as a NIC's address?
 * @mac: 6 bytes
 *
 * Return: NULL if valid, else a message saying what is wrong.
 */
const char *dpu_fn_mac_check(const u8 *mac)
{
	if (is_zero_ether_addr(mac))
		return "MAC address is all zeros";
	if (is_multicast_ether_addr(mac))
		return "MAC address is multicast";
	return NULL;
}
