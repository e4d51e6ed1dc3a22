// @grafana/schema declares closed string sets as TypeScript string enums (ThresholdsMode,
// MappingType, ...). A dashboard file is JSON, which carries the enum's *values*
// ("absolute"), and TypeScript does not let a string literal stand for an enum member.
// `Wire<T>` is T as it looks on the wire: every string enum becomes the union of its
// values (`${Enum}`), everything else keeps its structure, optionality and closed keys.
export type Wire<T> = T extends string
  ? `${T}`
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;
