# The Temporal UI server (built with Go from its module), configured from the
# official image's variables: TEMPORAL_ADDRESS, TEMPORAL_UI_PORT, TEMPORAL_CORS_ORIGINS,
# TEMPORAL_CODEC_ENDPOINT, TEMPORAL_DEFAULT_NAMESPACE.
ARG BASE
FROM ${BASE}
COPY ui-server ui-entrypoint.sh /home/ui-server/
RUN chmod 755 /home/ui-server/ui-server /home/ui-server/ui-entrypoint.sh \
 && echo 'temporal:x:1000:1000:temporal:/home/ui-server:/bin/bash' >>/etc/passwd \
 && echo 'temporal:x:1000:' >>/etc/group \
 && mkdir -p /home/ui-server/config && chown -R 1000:1000 /home/ui-server
USER temporal
WORKDIR /home/ui-server
EXPOSE 8080
ENTRYPOINT ["/home/ui-server/ui-entrypoint.sh"]
