/** A versioned schema change: `NNN_verb_object.sql`, one or more statements ending in `;`. */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}
