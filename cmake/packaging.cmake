# `cpack -G DEB` in a build tree makes turnd_<version>_<arch>.deb: turnd, turnadmin and turnctl,
# the annotated /etc/turnserver.conf and the fail2ban filter and jail (conffiles), the systemd
# unit, the man pages, the Grafana dashboard and the docs. Only the "server" component goes in
# (libstun's headers and static library are for `cmake --install`, not for the server package). Depends are read off
# the binaries by dpkg-shlibdeps. It conflicts with coturn: both ship /usr/bin/turnadmin and
# /etc/turnserver.conf (turnd takes coturn's config as it is).
install(FILES ${PROJECT_SOURCE_DIR}/conf/turnserver.conf DESTINATION /etc COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/conf/fail2ban/filter.d/turnd.conf
        DESTINATION /etc/fail2ban/filter.d COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/conf/fail2ban/jail.d/turnd.conf
        DESTINATION /etc/fail2ban/jail.d COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/conf/systemd/turnd.service
        DESTINATION /lib/systemd/system COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/conf/turnserver.conf
        DESTINATION share/doc/turnd COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/conf/grafana/turnd.json DESTINATION share/turnd/grafana
        COMPONENT server)

# cpack packages what is built (CI builds the server targets first), not everything of "all".
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME turnd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "turnd developers <turnd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "TURN/STUN media relay server, a drop-in for coturn")
set(CPACK_PACKAGE_DESCRIPTION
    "turnd relays media for WebRTC and conferencing clients (TURN, RFC 8656) over UDP, TCP, TLS\n\
and DTLS, and answers STUN. It reads coturn's turnserver.conf and user database.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL server)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_PACKAGE_NAME turnd)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# procps: the unit's ExecReload uses /bin/kill.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps")
set(CPACK_DEBIAN_PACKAGE_CONFLICTS "coturn")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
    ${PROJECT_SOURCE_DIR}/packaging/deb/prerm ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
