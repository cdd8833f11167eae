/*
 * runtime.S - the static otnode runtime, carried inside the programs that
 * build otnode images (otc build, otdeploy). OT_RUNTIME_PATH is set by
 * src/embed/module.mk to the freshly linked static runtime.
 */
	.section .rodata.otnode_runtime, "a"
	.balign 16
	.globl ot_embed_runtime_start
	.hidden ot_embed_runtime_start
ot_embed_runtime_start:
	.incbin OT_RUNTIME_PATH
	.globl ot_embed_runtime_end
	.hidden ot_embed_runtime_end
ot_embed_runtime_end:
	.section .note.GNU-stack, "", @progbits
