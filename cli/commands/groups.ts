/** stub */
export const groupsCommand = { summary: 'todo', help: () => 'todo', run: async (_argv: string[]) => 1 };
