# src/deploy: otdeploy's library - libssh session (ssh.c), the engine
# (deploy.c: the parallel runner and the phases) and its transports
# (transport_ssh.c, transport_local.c), remote directory policy and
# checksums, progress.
DEPLOY_SRCS := src/deploy/ssh.c src/deploy/remote.c src/deploy/deploy.c \
	src/deploy/transport_ssh.c src/deploy/transport_local.c src/deploy/progress.c src/deploy/xclass.c \
	src/deploy/image.c src/deploy/inspect.c src/deploy/apply.c
DEPLOY_OBJS := $(call obj,$(DEPLOY_SRCS))
LIBOTDEPLOY_OBJS += $(DEPLOY_OBJS)
# SHA-256 of the uploaded executables comes from OpenSSL's libcrypto (the
# library libssh itself is built on); every link that uses LIBS_SSH gets it.
LIBS_SSH += $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
