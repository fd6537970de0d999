# The Temporal server, its SQL schema tool and the Temporal CLI (all built with Go
# from their modules), at the paths of the official server and admin-tools images.
ARG BASE
FROM ${BASE}
COPY temporal-server temporal-sql-tool temporal /usr/local/bin/
RUN chmod 755 /usr/local/bin/temporal-server /usr/local/bin/temporal-sql-tool /usr/local/bin/temporal \
 && echo 'temporal:x:1000:1000:temporal:/etc/temporal:/bin/bash' >>/etc/passwd \
 && echo 'temporal:x:1000:' >>/etc/group \
 && mkdir -p /etc/temporal/config && chown -R 1000:1000 /etc/temporal
USER temporal
WORKDIR /etc/temporal
