/* etcfiles.h - /etc/hostname, /etc/hosts and /etc/resolv.conf as the
 * runtime supplies them to a container (bind-mounted over the image's). */
#ifndef WB_ETCFILES_H
#define WB_ETCFILES_H

#include "container.h"

/* "hostname", "hosts", "resolv.conf", NULL: the names in /etc and in the
 * directory that holds the container's copies. */
#define WB_ETC_FILES_COUNT 3
extern const char *const wb_etc_files[WB_ETC_FILES_COUNT + 1];

/* Does c get its files in memory (wb_etc_files_in_memory)?  --rm
 * containers without a user namespace. */
bool wb_etc_files_in_memory_for(const struct wb_container *c);

/* Write the three files into the existing directory dir; with a user
 * namespace they belong to the container's root, who may edit them (as in
 * Docker). */
int wb_etc_files_write(const struct wb_container *c, const char *dir,
                       wb_error *err);

/* In the container's first process, in its private mount namespace: mount
 * a small tmpfs on dir (it hides dir's contents from this namespace only),
 * write the three files into it and return an O_PATH fd of its root in
 * *fd, which stays usable when something is mounted over dir.  For --rm
 * containers, which are never started twice: their files need no inode on
 * the state root's file system. */
int wb_etc_files_in_memory(const struct wb_container *c, const char *dir,
                           int *fd, wb_error *err);

#endif
