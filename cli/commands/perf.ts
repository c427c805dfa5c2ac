/** stub */
export const perfCommand = { summary: 'todo', help: () => 'todo', run: async (_argv: string[]) => 1 };
