# SPDX-License-Identifier: Apache-2.0
# `make deb` (-DPORT_EXPORTER_PACKAGE=ON, then cpack -G DEB): the Debian package for bare
# hosts. /usr/bin/port_exporter, the default config as a conffile, the hardened systemd unit
# of deploy/systemd (ExecStart rewritten to /usr/bin), its opt-in drop-in for the eBPF probe
# under /usr/share/port-exporter (docs/deploy.md), a man page made by help2man from --help,
# and the maintainer scripts of packaging/deb (enable + start like debhelper).

find_program(HELP2MAN help2man REQUIRED)
find_program(GZIP gzip REQUIRED)

set(man_page ${CMAKE_CURRENT_BINARY_DIR}/port_exporter.1.gz)
# Run by name from PATH: the usage line shows argv[0], which must not be the build path.
add_custom_command(OUTPUT ${man_page}
  COMMAND ${CMAKE_COMMAND} -E env "PATH=$<TARGET_FILE_DIR:port_exporter>:$ENV{PATH}"
    ${HELP2MAN} --no-info --no-discard-stderr --version-string=${PROJECT_VERSION}
    "--name=Prometheus exporter for listeners and connections on watched ports"
    --output=${CMAKE_CURRENT_BINARY_DIR}/port_exporter.1 port_exporter
  COMMAND ${GZIP} -9nf ${CMAKE_CURRENT_BINARY_DIR}/port_exporter.1
  DEPENDS port_exporter VERBATIM)
add_custom_target(port_exporter_man ALL DEPENDS ${man_page})

file(READ ${PROJECT_SOURCE_DIR}/deploy/systemd/port_exporter.service unit)
string(REPLACE "/usr/local/bin/port_exporter" "/usr/bin/port_exporter" unit "${unit}")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/port_exporter.service "${unit}")

install(FILES ${PROJECT_SOURCE_DIR}/config/port_exporter.yml DESTINATION /etc/port_exporter)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/port_exporter.service DESTINATION /lib/systemd/system)
install(FILES ${man_page} DESTINATION share/man/man1)
# Opt-in drop-ins (closed-attempts: CAP_BPF, CAP_PERFMON, bpf(); netns-netlink:
# CAP_SYS_ADMIN, setns into network namespaces): shipped, not installed under /lib/systemd.
# Not under /usr/share/doc: minimal systems drop it (dpkg path-exclude: debian:bookworm-slim,
# and the debootstrap base of tests/deploy/deb.sh had no examples/ there).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/port_exporter.service.d/closed-attempts.conf
  ${PROJECT_SOURCE_DIR}/deploy/systemd/port_exporter.service.d/netns-netlink.conf
  DESTINATION share/port-exporter/systemd)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/NOTICE
  ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
  DESTINATION share/doc/port-exporter)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME port-exporter)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "port_exporter maintainers <maintainers@port-exporter.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # port-exporter_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/port-exporter/port_exporter")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from dpkg-shlibdeps, plus:
set(CPACK_DEBIAN_PACKAGE_DEPENDS "procps")  # /bin/kill of the unit's ExecReload
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Prometheus exporter for listeners and connections on watched ports")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}
 Counts, on this host and all the time, who listens and who connects on the ports you
 watch (2908 by default: nothing should listen there), as ss does, and exposes it to
 Prometheus on :12908/metrics. The systemd unit runs it with DynamicUser and two
 capabilities (CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH) for owner lookup; HTTP is served by
 an unprivileged child under a seccomp filter. The optional eBPF probe needs the drop-in
 /usr/share/port-exporter/systemd/closed-attempts.conf (CAP_BPF, CAP_PERFMON); reading
 other network namespaces over netlink (namespaces: all) needs netns-netlink.conf
 (CAP_SYS_ADMIN for setns).")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/prerm ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
