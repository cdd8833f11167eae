/*
 * mnl_api.h - the libmnl functions src/mnl implements, as a table of
 * pointers: tests/unit/test_mnl_compat.c fills one table from the real
 * libmnl and gets the other from mnl_compat_shim.c, which sees the module's
 * renamed functions (src/mnl/mnl_rename.h) under the same names.
 */
#ifndef OT_TEST_MNL_API_H
#define OT_TEST_MNL_API_H

#include <libmnl/libmnl.h>

struct mnl_api {
	__typeof__(mnl_socket_open) *socket_open;
	__typeof__(mnl_socket_open2) *socket_open2;
	__typeof__(mnl_socket_fdopen) *socket_fdopen;
	__typeof__(mnl_socket_bind) *socket_bind;
	__typeof__(mnl_socket_close) *socket_close;
	__typeof__(mnl_socket_get_fd) *socket_get_fd;
	__typeof__(mnl_socket_get_portid) *socket_get_portid;
	__typeof__(mnl_socket_sendto) *socket_sendto;
	__typeof__(mnl_socket_recvfrom) *socket_recvfrom;
	__typeof__(mnl_socket_setsockopt) *socket_setsockopt;
	__typeof__(mnl_socket_getsockopt) *socket_getsockopt;
	__typeof__(mnl_nlmsg_size) *nlmsg_size;
	__typeof__(mnl_nlmsg_get_payload_len) *nlmsg_get_payload_len;
	__typeof__(mnl_nlmsg_put_header) *nlmsg_put_header;
	__typeof__(mnl_nlmsg_put_extra_header) *nlmsg_put_extra_header;
	__typeof__(mnl_nlmsg_ok) *nlmsg_ok;
	__typeof__(mnl_nlmsg_next) *nlmsg_next;
	__typeof__(mnl_nlmsg_seq_ok) *nlmsg_seq_ok;
	__typeof__(mnl_nlmsg_portid_ok) *nlmsg_portid_ok;
	__typeof__(mnl_nlmsg_get_payload) *nlmsg_get_payload;
	__typeof__(mnl_nlmsg_get_payload_offset) *nlmsg_get_payload_offset;
	__typeof__(mnl_nlmsg_get_payload_tail) *nlmsg_get_payload_tail;
	__typeof__(mnl_nlmsg_batch_start) *nlmsg_batch_start;
	__typeof__(mnl_nlmsg_batch_next) *nlmsg_batch_next;
	__typeof__(mnl_nlmsg_batch_stop) *nlmsg_batch_stop;
	__typeof__(mnl_nlmsg_batch_size) *nlmsg_batch_size;
	__typeof__(mnl_nlmsg_batch_reset) *nlmsg_batch_reset;
	__typeof__(mnl_nlmsg_batch_head) *nlmsg_batch_head;
	__typeof__(mnl_nlmsg_batch_current) *nlmsg_batch_current;
	__typeof__(mnl_nlmsg_batch_is_empty) *nlmsg_batch_is_empty;
	__typeof__(mnl_attr_get_type) *attr_get_type;
	__typeof__(mnl_attr_get_len) *attr_get_len;
	__typeof__(mnl_attr_get_payload_len) *attr_get_payload_len;
	__typeof__(mnl_attr_get_payload) *attr_get_payload;
	__typeof__(mnl_attr_get_u8) *attr_get_u8;
	__typeof__(mnl_attr_get_u16) *attr_get_u16;
	__typeof__(mnl_attr_get_u32) *attr_get_u32;
	__typeof__(mnl_attr_get_u64) *attr_get_u64;
	__typeof__(mnl_attr_get_str) *attr_get_str;
	__typeof__(mnl_attr_put) *attr_put;
	__typeof__(mnl_attr_put_u8) *attr_put_u8;
	__typeof__(mnl_attr_put_u16) *attr_put_u16;
	__typeof__(mnl_attr_put_u32) *attr_put_u32;
	__typeof__(mnl_attr_put_u64) *attr_put_u64;
	__typeof__(mnl_attr_put_str) *attr_put_str;
	__typeof__(mnl_attr_put_strz) *attr_put_strz;
	__typeof__(mnl_attr_put_check) *attr_put_check;
	__typeof__(mnl_attr_put_u8_check) *attr_put_u8_check;
	__typeof__(mnl_attr_put_u16_check) *attr_put_u16_check;
	__typeof__(mnl_attr_put_u32_check) *attr_put_u32_check;
	__typeof__(mnl_attr_put_u64_check) *attr_put_u64_check;
	__typeof__(mnl_attr_put_str_check) *attr_put_str_check;
	__typeof__(mnl_attr_put_strz_check) *attr_put_strz_check;
	__typeof__(mnl_attr_nest_start) *attr_nest_start;
	__typeof__(mnl_attr_nest_start_check) *attr_nest_start_check;
	__typeof__(mnl_attr_nest_end) *attr_nest_end;
	__typeof__(mnl_attr_nest_cancel) *attr_nest_cancel;
	__typeof__(mnl_attr_type_valid) *attr_type_valid;
	__typeof__(mnl_attr_validate) *attr_validate;
	__typeof__(mnl_attr_validate2) *attr_validate2;
	__typeof__(mnl_attr_ok) *attr_ok;
	__typeof__(mnl_attr_next) *attr_next;
	__typeof__(mnl_attr_parse) *attr_parse;
	__typeof__(mnl_attr_parse_nested) *attr_parse_nested;
	__typeof__(mnl_attr_parse_payload) *attr_parse_payload;
	__typeof__(mnl_cb_run) *cb_run;
	__typeof__(mnl_cb_run2) *cb_run2;
};

#define MNL_API_INIT                                                                               \
	{                                                                                          \
		.socket_open = mnl_socket_open, .socket_open2 = mnl_socket_open2,                  \
		.socket_fdopen = mnl_socket_fdopen, .socket_bind = mnl_socket_bind,                \
		.socket_close = mnl_socket_close, .socket_get_fd = mnl_socket_get_fd,              \
		.socket_get_portid = mnl_socket_get_portid, .socket_sendto = mnl_socket_sendto,    \
		.socket_recvfrom = mnl_socket_recvfrom,                                            \
		.socket_setsockopt = mnl_socket_setsockopt,                                        \
		.socket_getsockopt = mnl_socket_getsockopt, .nlmsg_size = mnl_nlmsg_size,          \
		.nlmsg_get_payload_len = mnl_nlmsg_get_payload_len,                                \
		.nlmsg_put_header = mnl_nlmsg_put_header,                                          \
		.nlmsg_put_extra_header = mnl_nlmsg_put_extra_header, .nlmsg_ok = mnl_nlmsg_ok,    \
		.nlmsg_next = mnl_nlmsg_next, .nlmsg_seq_ok = mnl_nlmsg_seq_ok,                    \
		.nlmsg_portid_ok = mnl_nlmsg_portid_ok,                                            \
		.nlmsg_get_payload = mnl_nlmsg_get_payload,                                        \
		.nlmsg_get_payload_offset = mnl_nlmsg_get_payload_offset,                          \
		.nlmsg_get_payload_tail = mnl_nlmsg_get_payload_tail,                              \
		.nlmsg_batch_start = mnl_nlmsg_batch_start,                                        \
		.nlmsg_batch_next = mnl_nlmsg_batch_next,                                          \
		.nlmsg_batch_stop = mnl_nlmsg_batch_stop,                                          \
		.nlmsg_batch_size = mnl_nlmsg_batch_size,                                          \
		.nlmsg_batch_reset = mnl_nlmsg_batch_reset,                                        \
		.nlmsg_batch_head = mnl_nlmsg_batch_head,                                          \
		.nlmsg_batch_current = mnl_nlmsg_batch_current,                                    \
		.nlmsg_batch_is_empty = mnl_nlmsg_batch_is_empty,                                  \
		.attr_get_type = mnl_attr_get_type, .attr_get_len = mnl_attr_get_len,              \
		.attr_get_payload_len = mnl_attr_get_payload_len,                                  \
		.attr_get_payload = mnl_attr_get_payload, .attr_get_u8 = mnl_attr_get_u8,          \
		.attr_get_u16 = mnl_attr_get_u16, .attr_get_u32 = mnl_attr_get_u32,                \
		.attr_get_u64 = mnl_attr_get_u64, .attr_get_str = mnl_attr_get_str,                \
		.attr_put = mnl_attr_put, .attr_put_u8 = mnl_attr_put_u8,                          \
		.attr_put_u16 = mnl_attr_put_u16, .attr_put_u32 = mnl_attr_put_u32,                \
		.attr_put_u64 = mnl_attr_put_u64, .attr_put_str = mnl_attr_put_str,                \
		.attr_put_strz = mnl_attr_put_strz, .attr_put_check = mnl_attr_put_check,          \
		.attr_put_u8_check = mnl_attr_put_u8_check,                                        \
		.attr_put_u16_check = mnl_attr_put_u16_check,                                      \
		.attr_put_u32_check = mnl_attr_put_u32_check,                                      \
		.attr_put_u64_check = mnl_attr_put_u64_check,                                      \
		.attr_put_str_check = mnl_attr_put_str_check,                                      \
		.attr_put_strz_check = mnl_attr_put_strz_check,                                    \
		.attr_nest_start = mnl_attr_nest_start,                                            \
		.attr_nest_start_check = mnl_attr_nest_start_check,                                \
		.attr_nest_end = mnl_attr_nest_end, .attr_nest_cancel = mnl_attr_nest_cancel,      \
		.attr_type_valid = mnl_attr_type_valid, .attr_validate = mnl_attr_validate,        \
		.attr_validate2 = mnl_attr_validate2, .attr_ok = mnl_attr_ok,                      \
		.attr_next = mnl_attr_next, .attr_parse = mnl_attr_parse,                          \
		.attr_parse_nested = mnl_attr_parse_nested,                                        \
		.attr_parse_payload = mnl_attr_parse_payload, .cb_run = mnl_cb_run,                \
		.cb_run2 = mnl_cb_run2,                                                            \
	}

#endif
