# cmake -DIN=file -DOUT=file.cpp -DNAME=function -P embed_bytes.cmake
# Writes a C++ file whose function NAME() returns IN's bytes (the BPF object turnd loads).
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" length)
math(EXPR size "${length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "// Generated from ${IN} by cmake/embed_bytes.cmake.\n"
  "#include \"offload/channel_relay_object.hpp\"\n\n"
  "namespace turn {\nnamespace {\nconst unsigned char kImage[${size}] = {${bytes}};\n}\n\n"
  "stun::Bytes ${NAME}() {\n  return {kImage, sizeof kImage};\n}\n\n}  // namespace turn\n")
