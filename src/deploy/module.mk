# src/deploy: otdeploy's library - libssh transport, remote directory
# policy and checksums, the parallel runner, the deploy phases, progress.
DEPLOY_SRCS := src/deploy/ssh.c src/deploy/remote.c src/deploy/deploy.c src/deploy/local.c \
	src/deploy/progress.c src/deploy/image.c
DEPLOY_OBJS := $(call obj,$(DEPLOY_SRCS))
LIBOTDEPLOY_OBJS += $(DEPLOY_OBJS)
# SHA-256 of the uploaded executables comes from OpenSSL's libcrypto (the
# library libssh itself is built on); every link that uses LIBS_SSH gets it.
LIBS_SSH += $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
