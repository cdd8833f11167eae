/*
 * mnl_rename.h - for tests only: included (-include) before src/mnl/mnl.c
 * and before <libmnl/libmnl.h> in the test shim, it renames every function
 * of the libmnl-compatible module from mnl_* to otmnl_*, so one test program
 * links the module and the real libmnl side by side and compares them
 * (tests/unit/test_mnl_compat.c). The list is the module's whole API.
 */
#ifndef OT_MNL_RENAME_H
#define OT_MNL_RENAME_H
#define mnl_socket_open		     otmnl_socket_open
#define mnl_socket_open2	     otmnl_socket_open2
#define mnl_socket_fdopen	     otmnl_socket_fdopen
#define mnl_socket_bind		     otmnl_socket_bind
#define mnl_socket_close	     otmnl_socket_close
#define mnl_socket_get_fd	     otmnl_socket_get_fd
#define mnl_socket_get_portid	     otmnl_socket_get_portid
#define mnl_socket_sendto	     otmnl_socket_sendto
#define mnl_socket_recvfrom	     otmnl_socket_recvfrom
#define mnl_socket_setsockopt	     otmnl_socket_setsockopt
#define mnl_socket_getsockopt	     otmnl_socket_getsockopt
#define mnl_nlmsg_size		     otmnl_nlmsg_size
#define mnl_nlmsg_get_payload_len    otmnl_nlmsg_get_payload_len
#define mnl_nlmsg_put_header	     otmnl_nlmsg_put_header
#define mnl_nlmsg_put_extra_header   otmnl_nlmsg_put_extra_header
#define mnl_nlmsg_ok		     otmnl_nlmsg_ok
#define mnl_nlmsg_next		     otmnl_nlmsg_next
#define mnl_nlmsg_seq_ok	     otmnl_nlmsg_seq_ok
#define mnl_nlmsg_portid_ok	     otmnl_nlmsg_portid_ok
#define mnl_nlmsg_get_payload	     otmnl_nlmsg_get_payload
#define mnl_nlmsg_get_payload_offset otmnl_nlmsg_get_payload_offset
#define mnl_nlmsg_get_payload_tail   otmnl_nlmsg_get_payload_tail
#define mnl_nlmsg_batch_start	     otmnl_nlmsg_batch_start
#define mnl_nlmsg_batch_next	     otmnl_nlmsg_batch_next
#define mnl_nlmsg_batch_stop	     otmnl_nlmsg_batch_stop
#define mnl_nlmsg_batch_size	     otmnl_nlmsg_batch_size
#define mnl_nlmsg_batch_reset	     otmnl_nlmsg_batch_reset
#define mnl_nlmsg_batch_head	     otmnl_nlmsg_batch_head
#define mnl_nlmsg_batch_current	     otmnl_nlmsg_batch_current
#define mnl_nlmsg_batch_is_empty     otmnl_nlmsg_batch_is_empty
#define mnl_attr_get_type	     otmnl_attr_get_type
#define mnl_attr_get_len	     otmnl_attr_get_len
#define mnl_attr_get_payload_len     otmnl_attr_get_payload_len
#define mnl_attr_get_payload	     otmnl_attr_get_payload
#define mnl_attr_get_u8		     otmnl_attr_get_u8
#define mnl_attr_get_u16	     otmnl_attr_get_u16
#define mnl_attr_get_u32	     otmnl_attr_get_u32
#define mnl_attr_get_u64	     otmnl_attr_get_u64
#define mnl_attr_get_str	     otmnl_attr_get_str
#define mnl_attr_put		     otmnl_attr_put
#define mnl_attr_put_u8		     otmnl_attr_put_u8
#define mnl_attr_put_u16	     otmnl_attr_put_u16
#define mnl_attr_put_u32	     otmnl_attr_put_u32
#define mnl_attr_put_u64	     otmnl_attr_put_u64
#define mnl_attr_put_str	     otmnl_attr_put_str
#define mnl_attr_put_strz	     otmnl_attr_put_strz
#define mnl_attr_put_check	     otmnl_attr_put_check
#define mnl_attr_put_u8_check	     otmnl_attr_put_u8_check
#define mnl_attr_put_u16_check	     otmnl_attr_put_u16_check
#define mnl_attr_put_u32_check	     otmnl_attr_put_u32_check
#define mnl_attr_put_u64_check	     otmnl_attr_put_u64_check
#define mnl_attr_put_str_check	     otmnl_attr_put_str_check
#define mnl_attr_put_strz_check	     otmnl_attr_put_strz_check
#define mnl_attr_nest_start	     otmnl_attr_nest_start
#define mnl_attr_nest_start_check    otmnl_attr_nest_start_check
#define mnl_attr_nest_end	     otmnl_attr_nest_end
#define mnl_attr_nest_cancel	     otmnl_attr_nest_cancel
#define mnl_attr_type_valid	     otmnl_attr_type_valid
#define mnl_attr_validate	     otmnl_attr_validate
#define mnl_attr_validate2	     otmnl_attr_validate2
#define mnl_attr_ok		     otmnl_attr_ok
#define mnl_attr_next		     otmnl_attr_next
#define mnl_attr_parse		     otmnl_attr_parse
#define mnl_attr_parse_nested	     otmnl_attr_parse_nested
#define mnl_attr_parse_payload	     otmnl_attr_parse_payload
#define mnl_cb_run		     otmnl_cb_run
#define mnl_cb_run2		     otmnl_cb_run2
#endif
